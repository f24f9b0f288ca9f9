"""GLUE tasks on the hub (paper config). Human scores from the paper's Table 1."""

from pipeline.tasks.base import ClassificationTask

SST2 = ClassificationTask(
    name="sst2", text_fields=("sentence",), num_labels=2, metrics=("accuracy",),
    source="hub", hub_path="nyu-mll/glue", hub_config="sst2", human_score=97.8,
)
QNLI = ClassificationTask(
    name="qnli", text_fields=("question", "sentence"), num_labels=2, metrics=("accuracy",),
    source="hub", hub_path="nyu-mll/glue", hub_config="qnli", human_score=91.2,
)
MNLI = ClassificationTask(
    name="mnli", text_fields=("premise", "hypothesis"), num_labels=3, metrics=("accuracy",),
    source="hub", hub_path="nyu-mll/glue", hub_config="mnli",
    validation_split="validation_matched",
)
