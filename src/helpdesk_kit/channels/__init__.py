"""Channels: each turns its raw input into one normalized inbound message and sends replies."""
