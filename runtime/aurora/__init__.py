"""The Aurora application on top of the models: the webhook event, releases and their
profiles, verify/calibrate, conformance checks, the documented example, conversion
between releases, and payload files."""
