"""The SDK version, sent as the client version and in the User-Agent."""

VERSION = "0.1.0"
