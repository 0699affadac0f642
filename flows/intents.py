"""What the flows app hands back to the message pipeline."""

from dataclasses import dataclass


@dataclass(frozen=True)
class OutboundIntent:
    """One message to send. `delay_seconds` counts from the moment of the decision and never
    decreases along a list, so sending each at now + delay keeps their order."""

    text: str
    delay_seconds: int = 0
