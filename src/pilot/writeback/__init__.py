"""Write-back: approved records out to the tools teams work in (Jira, GitHub, Slack, e-mail)."""
