"""The shipped pytest plugin, used the way a host application's test suite uses it."""

pytest_plugins = ["pytester"]


def test_fixtures_in_a_host_test_suite(pytester):
    pytester.makepyfile(
        """
        import pytest
        from helpdesk_kit.plugins import hookimpl

        class NoFridayClose:
            @hookimpl
            def check_transition(self, desk, ticket, transition, actor):
                if transition == "solve" and desk.now().weekday() == 4:
                    return "we do not solve on Fridays"

        @pytest.fixture
        def helpdesk_plugins():
            return [NoFridayClose()]

        def test_my_plugin(helpdesk, helpdesk_clock, make_agent, make_ticket):
            agent = make_agent()
            ticket = make_ticket()
            assert ticket.assignee_id == agent.id
            helpdesk_clock.advance(days=4)          # Monday -> Friday
            assert helpdesk.can_transition(ticket, "solve", actor=agent)
            helpdesk_clock.advance(days=3)
            assert helpdesk.transition(ticket, "solve", actor=agent).status == "solved"

        @pytest.mark.parametrize("helpdesk_storage", ["memory"], indirect=True)
        def test_storage_param(helpdesk_storage, helpdesk):
            assert helpdesk.storage is helpdesk_storage

        @pytest.mark.helpdesk_clock(__import__("datetime").datetime(
            2030, 1, 1, tzinfo=__import__("datetime").timezone.utc))
        def test_clock_marker(helpdesk_clock):
            assert helpdesk_clock.now().year == 2030

        def test_factories(make_customer, make_ticket):
            c = make_customer("Li", tier="vip")
            assert c.tier == "vip" and c.email
            t = make_ticket("Refund", customer=c, priority="high")
            assert t.priority == "high" and t.customer_id == c.id
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_no_autouse_fixtures(pytester):
    pytester.makepyfile(
        """
        def test_plain(request):
            assert not any(name.startswith("helpdesk") for name in request.fixturenames)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
