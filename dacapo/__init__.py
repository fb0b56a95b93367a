"""Da Capo: re-enrolment campaigns for conservatoires and schools."""

__version__ = "0.1.0"
