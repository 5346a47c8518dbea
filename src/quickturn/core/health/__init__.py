"""Shop health (平台考核): TikTok Shop US performance metrics and what a plan does to them.

Pure and vectorised (Polars / NumPy); ``today`` is always a parameter.  Data flow::

    params.health_params(settings.section("health"))          → HealthParams
    orders, reviews, returns ─ metrics.order_facts             → per-order facts
                             ─ metrics.rolling/weekly_metrics  → metrics vs thresholds
                             ─ metrics.offenders               → orders behind each metric
                             ─ findings.threshold_findings     → breach / near findings
                             ─ score.score_estimate            → approximate SPS
    report.health_report does all of the above in one call.
    plan results + report.projection_baseline ─ projection.project_plan → projected metrics
    Olist deliveries ─ response.calibrate_response_curve       → P(1–2★ | days late)

``calendar`` holds the business-day calendar (US federal holidays by rule, 23:59 US
Pacific cut-off, DST-aware).
"""
