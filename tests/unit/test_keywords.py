import re

import pytest

from tidings.domain.keywords import (
    KEYWORDS,
    SUPPORTED_LANGUAGES,
    US_TOLL_FREE_REPLIES,
    KeywordAction,
    default_reply,
    match_keyword,
    normalize,
)

OUT, IN, HELP = KeywordAction.OPT_OUT, KeywordAction.OPT_IN, KeywordAction.HELP

# Keywords defined by more than one language resolve to the first in en, it, es, fr, de, pt.
SHARED = {"STOP": "en", "START": "en", "INFO": "en", "PARAR": "es", "CANCELAR": "es",
          "INICIAR": "es"}  # fmt: skip

LISTED = [
    (lang, action, word)
    for lang, table in KEYWORDS.items()
    for action, words in table.items()
    for word in words
]


def test_supported_languages() -> None:
    assert SUPPORTED_LANGUAGES == ("en", "it", "es", "fr", "de", "pt")


@pytest.mark.parametrize(
    ("language", "action", "words"),
    [
        ("en", OUT, {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                     "OPTOUT", "OPT OUT", "OPT-OUT", "REMOVE"}),
        ("en", IN, {"START", "UNSTOP", "YES", "SUBSCRIBE"}),
        ("en", HELP, {"HELP", "INFO"}),
        ("it", OUT, {"ARRESTA", "STOP", "FINE", "CANCELLA", "DISISCRIVI"}),
        ("it", IN, {"AVVIA", "INIZIA", "ISCRIVI"}),
        ("it", HELP, {"AIUTO", "INFO"}),
        ("es", OUT, {"PARAR", "DETENER", "BAJA", "CANCELAR", "ALTO"}),
        ("es", IN, {"ALTA", "INICIAR", "COMENZAR"}),
        ("es", HELP, {"AYUDA"}),
        ("fr", OUT, {"ARRET", "ARRÊT", "STOP", "DESABONNER", "DÉSABONNER"}),
        ("fr", IN, {"COMMENCER", "DEMARRER", "DÉMARRER", "ABONNER"}),
        ("fr", HELP, {"AIDE"}),
        ("de", OUT, {"STOPP", "ENDE", "ABMELDEN", "KÜNDIGEN"}),
        ("de", IN, {"START", "ANMELDEN"}),
        ("de", HELP, {"HILFE"}),
        ("pt", OUT, {"PARAR", "SAIR", "CANCELAR"}),
        ("pt", IN, {"INICIAR", "VOLTAR"}),
        ("pt", HELP, {"AJUDA"}),
    ],
)  # fmt: skip
def test_keyword_tables(language: str, action: KeywordAction, words: set[str]) -> None:
    assert set(KEYWORDS[language][action]) == words


@pytest.mark.parametrize(("language", "action", "keyword"), LISTED)
def test_every_listed_keyword_matches(language: str, action: KeywordAction, keyword: str) -> None:
    for text in (keyword, keyword.lower(), keyword.title(), f"  {keyword}!! "):
        match = match_keyword(text)
        assert match is not None, text
        assert match.action is action
        assert match.language == SHARED.get(keyword, language)
        assert match.keyword == keyword  # a listed spelling is kept as sent


def test_no_keyword_maps_to_two_actions() -> None:
    seen: dict[str, KeywordAction] = {}
    for _, action, word in LISTED:
        assert seen.setdefault(normalize(word), action) is action, word
    assert "YES" not in {w for t in KEYWORDS.values() for a, ws in t.items() if a != IN for w in ws}


@pytest.mark.parametrize(
    ("text", "action", "language", "keyword"),
    [
        ("stop", OUT, "en", "STOP"),
        ("  Stop!! ", OUT, "en", "STOP"),
        ("*STOP*", OUT, "en", "STOP"),
        ("Stop.", OUT, "en", "STOP"),
        ('"stop"', OUT, "en", "STOP"),
        ("\tSTOP\n", OUT, "en", "STOP"),
        ("\u00a0stop\u200b", OUT, "en", "STOP"),  # no-break space, zero-width space
        ("S T O P", OUT, "en", "STOP"),
        (" " * 200 + "stop" + " " * 200, OUT, "en", "STOP"),
        ("opt out", OUT, "en", "OPT OUT"),
        ("OPT-OUT", OUT, "en", "OPT-OUT"),
        ("optout", OUT, "en", "OPTOUT"),
        ("Opt  -  Out!", OUT, "en", "OPTOUT"),
        ("opt\u2013out", OUT, "en", "OPTOUT"),  # en dash
        ("stop all", OUT, "en", "STOPALL"),
        ("unstop", IN, "en", "UNSTOP"),
        ("Yes!", IN, "en", "YES"),
        ("help?", HELP, "en", "HELP"),
        ("info", HELP, "en", "INFO"),
        ("ARRESTA", OUT, "it", "ARRESTA"),
        ("avvia", IN, "it", "AVVIA"),
        ("Aiuto?", HELP, "it", "AIUTO"),
        ("arret", OUT, "fr", "ARRET"),
        ("ARRÊT", OUT, "fr", "ARRÊT"),
        ("arre\u0302t", OUT, "fr", "ARRÊT"),  # decomposed ê: matched through normalization
        ("démarrer", IN, "fr", "DÉMARRER"),
        ("DEMARRER", IN, "fr", "DEMARRER"),
        ("désabonner", OUT, "fr", "DÉSABONNER"),
        ("dèsabonnér", OUT, "fr", "DÉSABONNER"),  # wrong accents are still accents
        ("baja", OUT, "es", "BAJA"),
        ("Alta", IN, "es", "ALTA"),
        ("ayuda", HELP, "es", "AYUDA"),
        ("Stopp", OUT, "de", "STOPP"),
        ("kundigen", OUT, "de", "KÜNDIGEN"),
        ("KÜNDIGEN", OUT, "de", "KÜNDIGEN"),
        ("hilfe", HELP, "de", "HILFE"),
        ("sair", OUT, "pt", "SAIR"),
        ("voltar", IN, "pt", "VOLTAR"),
        ("ajuda", HELP, "pt", "AJUDA"),
    ],
)
def test_tolerant_matching(text: str, action: KeywordAction, language: str, keyword: str) -> None:
    match = match_keyword(text)
    assert match is not None
    assert (match.action, match.language, match.keyword) == (action, language, keyword)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "stop please",
        "STOP PLEASE",
        "please stop",
        "stopping",
        "stops",
        "please help me",
        "help me",
        "STOP STOP",
        "stop!stop",
        "stop2",
        "no",
        "yes please",
        "opt in",
        "STOP" * 20,
        "a" * 10_000 + "stop",  # too long to be a keyword
    ],
)
def test_non_keywords(text: str) -> None:
    assert match_keyword(text) is None


def test_english_replies() -> None:
    assert default_reply(OUT, "en") == (
        "You have successfully been unsubscribed from messages from this number. "
        "Reply START to resubscribe."
    )
    assert default_reply(IN, "en") == (
        "You have successfully been re-subscribed to messages from this number. "
        "Reply STOP to unsubscribe."
    )
    assert default_reply(HELP, "en") == (
        "Reply STOP to unsubscribe. Reply START to resubscribe. Msg&data rates may apply."
    )


def test_italian_replies_are_the_acs_texts() -> None:
    assert default_reply(OUT, "it") == (
        "È stata annullata la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi AVVIA per ripetere la sottoscrizione."
    )
    assert default_reply(IN, "it") == (
        "È stata ripetuta la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi ARRESTA per annullare la sottoscrizione."
    )


def _named_keywords(reply: str) -> list[str]:
    return re.findall(r"\b[A-ZÀ-Ý]{3,}\b", reply)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(("action", "expected"), [(OUT, {IN}), (IN, {OUT}), (HELP, {IN, OUT})])
def test_replies_name_keywords_of_their_own_language(
    language: str, action: KeywordAction, expected: set[KeywordAction]
) -> None:
    """Answering with the keyword a reply suggests keeps the conversation in that language."""
    named = _named_keywords(default_reply(action, language))
    matches = [match_keyword(word) for word in named]
    assert all(m is not None and m.language == language for m in matches), named
    assert {m.action for m in matches if m is not None} == expected


def test_unknown_language_falls_back_to_english() -> None:
    for action in KeywordAction:
        assert default_reply(action, "xx") == default_reply(action, "en")


def test_us_toll_free_replies() -> None:
    assert US_TOLL_FREE_REPLIES == {
        OUT: "NETWORK MSG: You replied with the word STOP, which blocks all texts sent from "
        "this number. Text back UNSTOP to receive messages again.",
        IN: "NETWORK MSG: You have replied UNSTOP and will begin receiving messages again "
        "from this number.",
    }
