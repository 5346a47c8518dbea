"""Turn the outside world (files, exports, the TikTok Shop API) into canonical frames."""
