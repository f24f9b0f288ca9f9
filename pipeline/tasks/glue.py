"""GLUE tasks on the hub (paper config): data set, metrics, human score.

``human_score`` is the paper's Table 1 human performance (Nangia & Bowman, 2019) in the
project's metric units: a fraction (accuracy 0.978, MCC 0.664, Pearson 0.927), like every
metric value here, never percent. It is the score of the task's headline metric
(``metrics[0]``): accuracy for QQP (80.4 is Nangia & Bowman's accuracy; F1 is reported too),
Pearson for STS-B. MNLI is not in Table 1. ``rows`` are the splits' sizes on the data set
card (nyu-mll/glue; MNLI is scored on validation_matched); ``tokens`` the example lengths
under RoBERTa's BPE.
"""

from pipeline.tasks.base import ClassificationTask
from pipeline.tasks.protocol import Tokens

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
    tokens=Tokens(13, 55),
    rows={"train": 67349, "validation": 872},
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
    tokens=Tokens(11, 34),
    rows={"train": 8551, "validation": 1043},
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
    tokens=Tokens(30, 96),
    rows={"train": 363846, "validation": 40430},
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
    tokens=Tokens(31, 82),
    rows={"train": 5749, "validation": 1500},
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
    tokens=Tokens(51, 150),
    rows={"train": 104743, "validation": 5463},
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
    tokens=Tokens(70, 250),
    rows={"train": 2490, "validation": 277},
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
    tokens=Tokens(40, 105),
    rows={"train": 392702, "validation_matched": 9815},
    validation_split="validation_matched",
)

# The GLUE tasks, in the order their hub stand-ins are drawn (pipeline/data/standins.py).
GLUE_TASKS = (SST2, COLA, QQP, STSB, QNLI, RTE, MNLI)
