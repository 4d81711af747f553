"""One module per transcript export family; `pilot.connectors.transcripts` picks the parser."""
