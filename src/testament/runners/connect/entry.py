"""Where a test case's contact comes in: its entry point's channel and parameters.

The runner starts the contact there, and the Connect surface checks, when a test case is
published, that the flow it names exists; both read the entry point through this one function.
"""

from typing import Any

__all__ = ["entry_point"]


def entry_point(content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The channel (VOICE or CHAT) and the entry point's parameters (FlowId, phone numbers)."""
    entry = content.get("EntryPoint") or {}
    channel = "CHAT" if entry.get("Type") == "CHAT" else "VOICE"
    parameters = entry.get(
        "ChatEntryPointParameters" if channel == "CHAT" else "VoiceCallEntryPointParameters"
    )
    return channel, parameters if isinstance(parameters, dict) else {}
