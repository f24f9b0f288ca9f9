"""Tasks of the synthetic world (default study); schemas match SST-2 and QNLI."""

from pipeline.tasks.base import ClassificationTask

SYN_SENTIMENT = ClassificationTask(
    name="syn_sentiment", text_fields=("sentence",), num_labels=2,
    metrics=("accuracy",), source="synthetic",
)
SYN_FACTCHECK = ClassificationTask(
    name="syn_factcheck", text_fields=("question", "sentence"), num_labels=2,
    metrics=("accuracy",), source="synthetic",
)
