"""The Slack platform: the Web API client and directory, installations (OAuth), payload shapes."""
