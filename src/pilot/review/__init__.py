"""The human gate: every write of reviewed data (anomaly states, approved drafts) goes through here."""
