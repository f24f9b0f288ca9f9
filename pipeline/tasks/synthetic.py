"""GLUE-style tasks of the synthetic world (default study), each in its real counterpart's
schema: the data come from pipeline/world/tasks.py, the reference score from world.json."""

from pipeline.tasks.base import ClassificationTask

SYN_SENTIMENT = ClassificationTask(  # SST-2
    name="syn_sentiment",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)
SYN_GRAMMAR = ClassificationTask(  # CoLA
    name="syn_grammar",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("mcc", "accuracy"),
    source="synthetic",
    chance="zero",
)
SYN_PARAPHRASE = ClassificationTask(  # QQP
    name="syn_paraphrase",
    text_fields=("question1", "question2"),
    num_labels=2,
    metrics=("accuracy", "f1"),
    source="synthetic",
)
SYN_SIMILARITY = ClassificationTask(  # STS-B
    name="syn_similarity",
    text_fields=("sentence1", "sentence2"),
    num_labels=1,
    metrics=("pearson", "spearman"),
    source="synthetic",
    chance="zero",
)
SYN_FACTCHECK = ClassificationTask(  # QNLI
    name="syn_factcheck",
    text_fields=("question", "sentence"),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)
SYN_RTE = ClassificationTask(  # RTE
    name="syn_rte",
    text_fields=("sentence1", "sentence2"),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)
