"""`aoi eval`: run agents on scenarios, score them with sim's AIOpsLab scorers, report
best@k and avg@k per task type and fault family."""
