"""Opt-out keywords: STOP/START/HELP and their usual synonyms, in six languages.

A message is a keyword only when the whole message is one (CTIA and carrier practice: "STOP
PLEASE" is not an opt-out). Matching is case-insensitive (casefold) and ignores accents
("ARRET" == "ARRÊT"), surrounding whitespace and punctuation ("  stop!! ", "*STOP*"), and
whitespace or hyphens inside ("opt out", "OPT-OUT", "optout"). Each keyword maps to exactly one
action; a keyword several languages share belongs to the first of en, it, es, fr, de, pt, and
the match's language picks the language of the automatic reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class KeywordAction(StrEnum):
    OPT_OUT = "optOut"
    OPT_IN = "optIn"
    HELP = "help"


@dataclass(frozen=True)
class KeywordMatch:
    action: KeywordAction
    language: str
    keyword: str  # the canonical keyword as listed below


_OUT, _IN, _HELP = KeywordAction.OPT_OUT, KeywordAction.OPT_IN, KeywordAction.HELP

#: language -> action -> keywords. A keyword two languages share (STOP, START, INFO, PARAR,
#: CANCELAR, INICIAR) belongs to the earlier language: en, it, es, fr, de, pt. No keyword maps
#: to two different actions.
KEYWORDS: dict[str, dict[KeywordAction, tuple[str, ...]]] = {
    "en": {
        _OUT: (
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "OPT OUT",
            "OPT-OUT",
            "REMOVE",
        ),
        _IN: ("START", "UNSTOP", "YES", "SUBSCRIBE"),
        _HELP: ("HELP", "INFO"),
    },
    "it": {
        _OUT: ("ARRESTA", "STOP", "FINE", "CANCELLA", "DISISCRIVI"),
        _IN: ("AVVIA", "INIZIA", "ISCRIVI"),
        _HELP: ("AIUTO", "INFO"),
    },
    "es": {
        _OUT: ("PARAR", "DETENER", "BAJA", "CANCELAR", "ALTO"),
        _IN: ("ALTA", "INICIAR", "COMENZAR"),
        _HELP: ("AYUDA",),
    },
    "fr": {
        _OUT: ("ARRÊT", "ARRET", "STOP", "DÉSABONNER", "DESABONNER"),
        _IN: ("COMMENCER", "DÉMARRER", "DEMARRER", "ABONNER"),
        _HELP: ("AIDE",),
    },
    "de": {
        _OUT: ("STOPP", "ENDE", "ABMELDEN", "KÜNDIGEN"),
        _IN: ("START", "ANMELDEN"),
        _HELP: ("HILFE",),
    },
    "pt": {
        _OUT: ("PARAR", "SAIR", "CANCELAR"),
        _IN: ("INICIAR", "VOLTAR"),
        _HELP: ("AJUDA",),
    },
}

SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(KEYWORDS)

#: Each reply names keywords that resolve back to its own language (hence ANMELDEN rather than
#: START for German, SAIR/VOLTAR rather than PARAR/INICIAR for Portuguese).
_REPLIES: dict[str, dict[KeywordAction, str]] = {
    "en": {
        _OUT: "You have successfully been unsubscribed from messages from this number. "
        "Reply START to resubscribe.",
        _IN: "You have successfully been re-subscribed to messages from this number. "
        "Reply STOP to unsubscribe.",
        _HELP: "Reply STOP to unsubscribe. Reply START to resubscribe. Msg&data rates may apply.",
    },
    "it": {
        _OUT: "È stata annullata la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi AVVIA per ripetere la sottoscrizione.",
        _IN: "È stata ripetuta la sottoscrizione ai messaggi provenienti da questo numero. "
        "Rispondi ARRESTA per annullare la sottoscrizione.",
        _HELP: "Rispondi ARRESTA per annullare la sottoscrizione, AVVIA per ripeterla. "
        "Potrebbero essere applicati costi per messaggi e dati.",
    },
    "es": {
        _OUT: "Se ha cancelado su suscripción a los mensajes de este número. "
        "Responda ALTA para volver a suscribirse.",
        _IN: "Se ha vuelto a suscribir a los mensajes de este número. "
        "Responda BAJA para cancelar la suscripción.",
        _HELP: "Responda BAJA para cancelar la suscripción y ALTA para volver a suscribirse. "
        "Pueden aplicarse tarifas de mensajes y datos.",
    },
    "fr": {
        _OUT: "Vous êtes désabonné des messages de ce numéro. "
        "Répondez COMMENCER pour vous réabonner.",
        _IN: "Vous êtes de nouveau abonné aux messages de ce numéro. "
        "Répondez ARRET pour vous désabonner.",
        _HELP: "Répondez ARRET pour vous désabonner et COMMENCER pour vous réabonner. "
        "Des frais de messages et de données peuvent s'appliquer.",
    },
    "de": {
        _OUT: "Sie wurden von den Nachrichten dieser Nummer abgemeldet. "
        "Antworten Sie ANMELDEN, um sich wieder anzumelden.",
        _IN: "Sie erhalten wieder Nachrichten von dieser Nummer. "
        "Antworten Sie STOPP, um sich abzumelden.",
        _HELP: "Antworten Sie STOPP zum Abmelden und ANMELDEN zum erneuten Anmelden. "
        "Es können Gebühren für Nachrichten und Daten anfallen.",
    },
    "pt": {
        _OUT: "A sua subscrição das mensagens deste número foi cancelada. "
        "Responda VOLTAR para voltar a subscrever.",
        _IN: "Voltou a subscrever as mensagens deste número. "
        "Responda SAIR para cancelar a subscrição.",
        _HELP: "Responda SAIR para cancelar a subscrição e VOLTAR para voltar a subscrever. "
        "Podem ser aplicadas tarifas de mensagens e dados.",
    },
}

#: What US toll-free numbers answer at the carrier level (not the ACS default; available as
#: per-number overrides).
US_TOLL_FREE_REPLIES: dict[KeywordAction, str] = {
    _OUT: "NETWORK MSG: You replied with the word STOP, which blocks all texts sent from this "
    "number. Text back UNSTOP to receive messages again.",
    _IN: "NETWORK MSG: You have replied UNSTOP and will begin receiving messages again from "
    "this number.",
}

_MAX_LENGTH = 64  # longer messages are never keywords; bounds the work per inbound message
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_INNER = re.compile(r"[\s\-_\u2010-\u2015]+")  # whitespace, hyphens, dashes, underscores


def normalize(text: str) -> str:
    """Case-folded, accents and invisible format characters removed, surrounding punctuation
    trimmed, inner whitespace and hyphens dropped: ``" Opt-Out! "`` -> ``"optout"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )
    return _INNER.sub("", _EDGES.sub("", plain))


def _indexes() -> tuple[dict[str, KeywordMatch], dict[str, KeywordMatch]]:
    loose: dict[str, KeywordMatch] = {}  # normalized form -> first listed keyword
    exact: dict[str, KeywordMatch] = {}  # case-folded listed spelling -> that keyword
    for language, actions in KEYWORDS.items():
        for action, words in actions.items():
            for word in words:
                match = loose.setdefault(normalize(word), KeywordMatch(action, language, word))
                # Same language and action as the loose entry, but keeps the spelling the sender
                # used when it is a listed one ("ARRET" vs "ARRÊT", "OPT OUT" vs "OPTOUT").
                exact.setdefault(word.casefold(), KeywordMatch(match.action, match.language, word))
    return loose, exact


_LOOSE, _EXACT = _indexes()


def match_keyword(text: str) -> KeywordMatch | None:
    """The keyword ``text`` is, if the whole message is one; ``None`` otherwise."""
    stripped = text.strip()
    if len(stripped) > _MAX_LENGTH:
        return None
    trimmed = _EDGES.sub("", stripped.casefold())
    return _EXACT.get(trimmed) or _LOOSE.get(normalize(stripped))


def default_reply(action: KeywordAction, language: str) -> str:
    """The automatic answer to a keyword, in the keyword's language (English otherwise)."""
    return _REPLIES.get(language, _REPLIES["en"])[action]
