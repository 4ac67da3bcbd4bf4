"""Surveys on the desk: sent when solved, rated through the token, bad ratings followed up."""

from datetime import timedelta

import pytest

from helpdesk_kit import Actor, Helpdesk
from helpdesk_kit.desk.settings import DeskSettings
from helpdesk_kit.errors import ConfigurationError, InvalidInput, InvalidToken, PermissionDenied
from helpdesk_kit.feedback import SurveySettings
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets import events as ev

SECRET = "survey-secret-0123456789abcdef"
BACKENDS = ["memory", "sqlite", "postgresql"]


class Outbox:
    """A channel plugin that keeps what it sends, and a notify plugin."""

    def __init__(self):
        self.sent = []
        self.notified = []

    @hookimpl
    def register_channels(self, register):
        box = self

        class Chat:
            name = "chat"
            capabilities = frozenset({"realtime"})

            def send(self, desk, ticket, message, customer):
                box.sent.append((ticket.ref, message.text, customer.id))
                return f"chat-{len(box.sent)}"

        register(Chat())

    @hookimpl
    def notify(self, desk, notification):
        self.notified.append(notification)


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def desk(helpdesk_storage, helpdesk_clock, outbox):
    d = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[outbox],
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    d.configure_surveys(SurveySettings(secret=SECRET, link="https://shop.example/rate?t={token}"))
    return d


def _solved_ticket(desk, clock, *, channel="chat", language="zh"):
    desk.add_group("care")
    lead = desk.add_agent("Lu", role="supervisor", groups=["care"])
    desk.update_agent(lead, status="online")
    grp = desk.get_group("care")
    desk.storage  # noqa: B018
    ann = desk.add_agent("Ann", groups=["care"])
    customer = desk.add_customer("Wang", email="wang@example.cn")
    t = desk.open_ticket(
        customer,
        "退款",
        "退款什么时候到账",
        channel=channel,
        group=grp,
        assignee=ann,
        language=language,
        actor=customer,
    )
    clock.advance(minutes=5)
    desk.reply(t, "已处理", author=ann)
    clock.advance(minutes=5)
    desk.transition(t, "solve", actor=ann)
    return desk.get_ticket(t), ann, customer


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_solving_sends_one_survey_through_the_channel(desk, helpdesk_clock, outbox):
    t, ann, _customer = _solved_ticket(desk, helpdesk_clock)
    surveys = desk.surveys(t)
    assert len(surveys) == 1
    s = surveys[0]
    assert (s.round, s.agent_id, s.kind.value, s.rated) == (1, ann.id, "csat", False)
    assert s.expires_at == helpdesk_clock.now() + timedelta(days=7)
    sent = [text for ref, text, _ in outbox.sent if "rate?t=" in text]
    assert len(sent) == 1
    assert sent[0].startswith("您好，您的工单 " + t.ref)
    assert desk.survey_link(s) in sent[0]
    kinds = [e.kind for e in desk.events(t)]
    assert kinds.count(ev.SURVEY_SENT) == 1
    message = next(m for m in desk.messages(t) if m.id == s.message_id)
    assert message.public
    assert message.author_kind.value == "system"
    # the survey is not a reply: it does not count as a response
    assert [e for e in desk.events(t) if e.kind == ev.REPLY_SENT][-1].actor == f"agent:{ann.id}"


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_rating_and_changing_it_within_the_window(desk, helpdesk_clock):
    t, _ann, customer = _solved_ticket(desk, helpdesk_clock)
    token = desk.survey_token(desk.surveys(t)[0])
    helpdesk_clock.advance(hours=1)
    rated = desk.rate_survey(token, 4, comment="  thanks  ")
    assert (rated.score, rated.comment, rated.changes) == (4, "thanks", 0)
    assert rated.rated_at == helpdesk_clock.now()
    helpdesk_clock.advance(hours=20)
    changed = desk.rate_survey(token, 5)
    assert (changed.score, changed.changes, changed.rated_at) == (5, 1, rated.rated_at)
    assert changed.comment == "thanks"
    trail = [e for e in desk.events(t) if e.kind.startswith("survey.")]
    assert [e.kind for e in trail] == [ev.SURVEY_SENT, ev.SURVEY_RATED, ev.SURVEY_CHANGED]
    assert trail[1].actor == f"customer:{customer.id}"
    assert trail[2].data["from"] == {"score": 4, "nps": None}
    assert trail[2].data["to"] == {"score": 5, "nps": None}
    helpdesk_clock.advance(days=2)
    with pytest.raises(InvalidInput, match="can no longer be changed"):
        desk.rate_survey(token, 1)
    assert desk.get_survey(rated.id).score == 5


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_bad_rating_opens_a_followup_records_the_event_and_notifies(desk, helpdesk_clock, outbox):
    t, ann, _customer = _solved_ticket(desk, helpdesk_clock)
    token = desk.survey_token(desk.surveys(t)[0])
    s = desk.rate_survey(token, 2, reason="attitude", comment="rude")
    followups = desk.followups(t)
    assert len(followups) == 1
    f = followups[0]
    assert f.id == s.followup_id
    assert f.reason == "bad_rating:attitude"
    assert f.due_at == helpdesk_clock.now() + timedelta(days=1)
    assert f.assignee_id == desk.get_group("care").supervisor_id  # None: no supervisor set
    bad = [e for e in desk.events(t) if e.kind == ev.SURVEY_BAD_RATING]
    assert len(bad) == 1
    assert bad[0].data["reason"] == "attitude"
    assert bad[0].data["followup_id"] == f.id
    assert outbox.notified[-1]["kind"] == "survey.bad_rating"
    assert ann.id in outbox.notified[-1]["recipients"]
    assert "care" in outbox.notified[-1]["recipients"]
    # changing the rating again does not open a second follow-up
    desk.rate_survey(token, 1)
    assert len(desk.followups(t)) == 1
    # the open follow-up blocks closing until it is done
    helpdesk_clock.advance(days=4)
    assert "follow-up" in (desk.can_transition(t, "close", actor=ann) or "")
    desk.classify_bad_rating(s, "process", actor=ann)
    assert desk.get_survey(s.id).reason == "process"


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_one_survey_per_solve_a_reopened_ticket_gets_another(desk, helpdesk_clock):
    t, ann, customer = _solved_ticket(desk, helpdesk_clock)
    desk.transition(t, "reopen", actor=Actor.customer(customer.id))
    desk.transition(t, "solve", actor=ann)
    rounds = [s.round for s in desk.surveys(t)]
    assert rounds == [1, 2]
    assert desk.send_survey(t, actor=ann) is None  # this solve has its survey


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_per_ticket_and_per_interaction(desk, helpdesk_clock):
    desk.configure_surveys(SurveySettings(secret=SECRET, per="interaction"))
    t, ann, customer = _solved_ticket(desk, helpdesk_clock)
    helpdesk_clock.advance(minutes=1)
    extra = desk.send_survey(t, actor=ann)
    assert extra is not None
    assert extra.round == 2
    desk.configure_surveys(SurveySettings(secret=SECRET, per="ticket"))
    desk.transition(t, "reopen", actor=Actor.customer(customer.id))
    desk.transition(t, "solve", actor=ann)
    assert len(desk.surveys(t)) == 2


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_nps_and_both_kinds(desk, helpdesk_clock):
    desk.configure_surveys(SurveySettings(secret=SECRET, kind="nps", nps_bad_threshold=6))
    t, _ann, _customer = _solved_ticket(desk, helpdesk_clock, language="en")
    token = desk.survey_token(desk.surveys(t)[0])
    with pytest.raises(InvalidInput, match="NPS"):
        desk.rate_survey(token, 5)
    s = desk.rate_survey(token, nps=3)
    assert (s.score, s.nps) == (None, 3)
    assert desk.followups(t)  # a detractor under nps_bad_threshold is a bad rating
    desk.configure_surveys(SurveySettings(secret=SECRET, kind="csat+nps"))
    t2, _ann, _customer = _solved_ticket_again(desk, helpdesk_clock)
    token2 = desk.survey_token(desk.surveys(t2)[0])
    s2 = desk.rate_survey(token2, 5, nps=10)
    assert (s2.score, s2.nps) == (5, 10)


def _solved_ticket_again(desk, clock):
    ann = desk.agents()[0]
    customer = desk.add_customer("Li", email="li@example.cn")
    t = desk.open_ticket(customer, "hi", "hello", channel="chat", assignee=ann)
    desk.reply(t, "hello", author=ann)
    desk.transition(t, "solve", actor=ann)
    return t, ann, customer


@pytest.mark.parametrize("helpdesk_storage", ["memory"], indirect=True)
def test_bad_input_and_bad_tokens(desk, helpdesk_clock):
    t, ann, _customer = _solved_ticket(desk, helpdesk_clock)
    token = desk.survey_token(desk.surveys(t)[0])
    for bad in (0, 6, "5", 4.5, True):
        with pytest.raises(InvalidInput):
            desk.rate_survey(token, bad)
    with pytest.raises(InvalidInput, match="reason"):
        desk.rate_survey(token, 3, reason="weather")
    with pytest.raises(InvalidToken):
        desk.rate_survey(token[:-2] + "xx", 5)
    helpdesk_clock.advance(days=8)
    with pytest.raises(InvalidToken, match="expired"):
        desk.rate_survey(token, 5)
    with pytest.raises(PermissionDenied):
        desk.send_survey(t, actor=Actor.customer("someone"))
    with pytest.raises(InvalidInput):
        desk.classify_bad_rating(desk.surveys(t)[0], "weather", actor=ann)
    with pytest.raises(InvalidInput):
        desk.configure_surveys({"secret": SECRET})
    with pytest.raises(InvalidInput, match="16 bytes"):
        SurveySettings(secret="short")
    with pytest.raises(InvalidInput, match="token"):
        SurveySettings(secret=SECRET, link="https://no-placeholder")


def test_surveys_need_configuring(helpdesk):
    with pytest.raises(ConfigurationError, match="configure_surveys"):
        helpdesk.survey_settings  # noqa: B018


@pytest.mark.parametrize("helpdesk_storage", ["memory"], indirect=True)
def test_only_chosen_channels_are_surveyed(desk, helpdesk_clock):
    desk.configure_surveys(SurveySettings(secret=SECRET, channels=("email",)))
    t, _ann, _customer = _solved_ticket(desk, helpdesk_clock, channel="chat")
    assert desk.surveys(t) == []
