"""Third-party SMSCs the SMPP tests start as processes (smpp34's Server, node-smpp)."""
