"""Everything that runs work and resumes: one module per study, on the unit runner
(:mod:`naspred.experiments.units`) and the journal (:mod:`naspred.journal`)."""

from naspred.experiments.correlations import CorrelationStudy, run_correlation_study

__all__ = ["CorrelationStudy", "run_correlation_study"]
