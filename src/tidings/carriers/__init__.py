"""Carrier adapters: one module per carrier network behind the ``Carrier`` port."""
