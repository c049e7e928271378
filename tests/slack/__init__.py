"""Tests of bot/slack: installations (OAuth, multi-workspace) and the manifest."""
