import pytest

from tidings.domain.keywords import (
    KEYWORDS,
    SUPPORTED_LANGUAGES,
    US_TOLL_FREE_REPLIES,
    KeywordAction,
    default_reply,
    match_keyword,
)


@pytest.mark.parametrize(
    ("language", "action", "keyword"),
    [
        (lang, action, word)
        for lang, table in KEYWORDS.items()
        for action, words in table.items()
        for word in words
    ],
)
def test_every_listed_keyword_matches_its_action(
    language: str, action: KeywordAction, keyword: str
) -> None:
    match = match_keyword(keyword)
    assert match is not None
    assert match.action is action


@pytest.mark.parametrize(
    ("text", "action", "language"),
    [
        ("stop", KeywordAction.OPT_OUT, "en"),
        ("  Stop!! ", KeywordAction.OPT_OUT, "en"),
        ("*STOP*", KeywordAction.OPT_OUT, "en"),
        ("Stop.", KeywordAction.OPT_OUT, "en"),
        ("opt out", KeywordAction.OPT_OUT, "en"),
        ("OPT-OUT", KeywordAction.OPT_OUT, "en"),
        ("optout", KeywordAction.OPT_OUT, "en"),
        ("unstop", KeywordAction.OPT_IN, "en"),
        ("ARRESTA", KeywordAction.OPT_OUT, "it"),
        ("avvia", KeywordAction.OPT_IN, "it"),
        ("Aiuto?", KeywordAction.HELP, "it"),
        ("arret", KeywordAction.OPT_OUT, "fr"),
        ("ARRÊT", KeywordAction.OPT_OUT, "fr"),
        ("démarrer", KeywordAction.OPT_IN, "fr"),
        ("DEMARRER", KeywordAction.OPT_IN, "fr"),
        ("baja", KeywordAction.OPT_OUT, "es"),
        ("ayuda", KeywordAction.HELP, "es"),
        ("Stopp", KeywordAction.OPT_OUT, "de"),
        ("kundigen", KeywordAction.OPT_OUT, "de"),
        ("hilfe", KeywordAction.HELP, "de"),
        ("sair", KeywordAction.OPT_OUT, "pt"),
        ("ajuda", KeywordAction.HELP, "pt"),
        ("info", KeywordAction.HELP, "en"),
        ("S T O P", KeywordAction.OPT_OUT, "en"),
    ],
)
def test_tolerant_matching(text: str, action: KeywordAction, language: str) -> None:
    match = match_keyword(text)
    assert match is not None
    assert (match.action, match.language) == (action, language)


@pytest.mark.parametrize(
    "text", ["stop please", "stopping", "", "   ", "please help me", "STOP STOP", "stop!stop"]
)
def test_non_keywords(text: str) -> None:
    assert match_keyword(text) is None


def test_italian_replies_are_the_seed_texts() -> None:
    assert default_reply(KeywordAction.OPT_OUT, "it") == (
        "È stata annullata la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi AVVIA per ripetere la sottoscrizione."
    )
    assert default_reply(KeywordAction.OPT_IN, "it") == (
        "È stata ripetuta la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi ARRESTA per annullare la sottoscrizione."
    )


def test_every_language_has_every_reply() -> None:
    for language in SUPPORTED_LANGUAGES:
        for action in KeywordAction:
            assert default_reply(action, language)
    assert default_reply(KeywordAction.OPT_OUT, "xx") == default_reply(KeywordAction.OPT_OUT, "en")
    assert US_TOLL_FREE_REPLIES[KeywordAction.OPT_OUT].startswith("NETWORK MSG")
