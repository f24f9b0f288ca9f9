"""GLUE tasks on the hub (paper config): data set, metrics, human score.

``human_score`` is the paper's Table 1 human performance (Nangia & Bowman, 2019) in the
project's metric units: a fraction (accuracy 0.978, MCC 0.664, Pearson 0.927), like every
metric value here, never percent. It is the score of the task's headline metric
(``metrics[0]``): accuracy for QQP (80.4 is Nangia & Bowman's accuracy; F1 is reported too),
Pearson for STS-B. MNLI is not in Table 1.
"""

from pipeline.tasks.base import ClassificationTask

GLUE = "nyu-mll/glue"

SST2 = ClassificationTask(
    name="sst2",
    label="SST-2",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("accuracy",),
    source="hub",
    hub_path=GLUE,
    hub_config="sst2",
    human_score=0.978,
)
COLA = ClassificationTask(
    name="cola",
    label="CoLA",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("mcc", "accuracy"),
    source="hub",
    hub_path=GLUE,
    hub_config="cola",
    human_score=0.664,
    chance="zero",
)
QQP = ClassificationTask(
    name="qqp",
    label="QQP",
    text_fields=("question1", "question2"),
    num_labels=2,
    metrics=("accuracy", "f1"),
    source="hub",
    hub_path=GLUE,
    hub_config="qqp",
    human_score=0.804,
)
STSB = ClassificationTask(  # regression on the 0-5 similarity label
    name="stsb",
    label="STS-B",
    text_fields=("sentence1", "sentence2"),
    num_labels=1,
    metrics=("pearson", "spearman"),
    source="hub",
    hub_path=GLUE,
    hub_config="stsb",
    human_score=0.927,
    chance="zero",
)
QNLI = ClassificationTask(
    name="qnli",
    label="QNLI",
    text_fields=("question", "sentence"),
    num_labels=2,
    metrics=("accuracy",),
    source="hub",
    hub_path=GLUE,
    hub_config="qnli",
    human_score=0.912,
)
RTE = ClassificationTask(
    name="rte",
    label="RTE",
    text_fields=("sentence1", "sentence2"),
    num_labels=2,
    metrics=("accuracy",),
    source="hub",
    hub_path=GLUE,
    hub_config="rte",
    human_score=0.936,
)
MNLI = ClassificationTask(
    name="mnli",
    label="MNLI",
    text_fields=("premise", "hypothesis"),
    num_labels=3,
    metrics=("accuracy",),
    source="hub",
    hub_path=GLUE,
    hub_config="mnli",
    validation_split="validation_matched",
)
