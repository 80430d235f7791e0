"""The JSON keys and columns of each output, named as in SPEC.md: scripts depend on them."""

STATS_COLUMNS = (
    "user",
    "as_of",
    "timezone",
    "competency",
    "modules_total",
    "modules_completed",
    "modules_in_progress",
    "progress_percent",
    "quizzes_total",
    "quizzes_passed",
    "quiz_attempts",
    "quiz_attempts_passed",
    "current_streak",
    "longest_streak",
    "last_active",
    "streak_at_risk",
    "time_spent",
)
STREAK_COLUMNS = (
    "user",
    "as_of",
    "timezone",
    "current_streak",
    "longest_streak",
    "last_active",
    "streak_at_risk",
    "active_today",
)
MODULE_COLUMNS = (
    "competency",
    "module",
    "title",
    "position",
    "status",
    "started_at",
    "completed_at",
)
PROGRESS_COLUMNS = ("user", *MODULE_COLUMNS)
REPORT_COLUMNS = ("user", "name", *STATS_COLUMNS[1:])
REPORT_ENROLMENT_COLUMNS = ("enrolled_at", "withdrawn_at")  # under --competency
REPORT_MODULE_COLUMNS = (
    "user",
    "name",
    "competency",
    "module",
    "title",
    "status",
    "started_at",
    "completed_at",
    "best_score",
    "time_spent",
)
USER_COLUMNS = ("email", "name", "timezone")
SUMMARY_FIGURES = (
    "learners",
    "started",
    "completed",
    "completion_percent",
    "mean_progress_percent",
    "attempts",
    "attempts_passed",
    "median_best_score",
    "time_spent",
)
SUMMARY_MODULE_COLUMNS = ("competency", "module", "title", *SUMMARY_FIGURES)
SUMMARY_COMPETENCY_COLUMNS = ("competency", "title", *SUMMARY_FIGURES)
SUMMARY_GROUP_COLUMNS = ("group", *SUMMARY_FIGURES)
SERIES_COLUMNS = (
    "period_end",
    "learners",
    "active_learners",
    "modules_completed",
    "mean_progress_percent",
    "time_spent",
)
