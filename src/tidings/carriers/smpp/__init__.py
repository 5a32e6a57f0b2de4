"""The SMPP 3.4 carrier: durable queue, binds, receipts and MO over an SMPP library."""
