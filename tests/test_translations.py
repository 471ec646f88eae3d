"""The Spanish and Brazilian Portuguese catalogs are complete, compiled and in step with the code.

Regenerate and compile the catalogs after changing user-facing strings::

    cd src/academy
    django-admin makemessages -l es -l pt_BR --no-obsolete --no-location \\
        --ignore 'tests/*' --ignore '*/tests/*'
    django-admin compilemessages
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

SRC_DIR = Path(__file__).resolve().parents[1] / "src"
PACKAGE_DIR = SRC_DIR / "academy"
LOCALE_DIR = PACKAGE_DIR / "locale"

# gettext locale directory (Django's "es" and "pt-br") -> its Plural-Forms header
PLURAL_FORMS: dict[str, str] = {
    "es": "nplurals=2; plural=(n != 1);",
    "pt_BR": "nplurals=2; plural=(n > 1);",
}
REGENERATE_HINT = (
    "run `make messages` (in src/academy: django-admin makemessages -l es -l pt_BR "
    "--no-obsolete --no-location --ignore 'tests/*' --ignore '*/tests/*', translate the "
    "new entries, then django-admin compilemessages)"
)
MAKEMESSAGES_IGNORES = ("--ignore", "tests/*", "--ignore", "*/tests/*")

# %% is an escaped percent sign, not a placeholder; it is matched only to be skipped.
PERCENT_PLACEHOLDER = re.compile(
    r"%%"
    r"|%(?:\([^)]*\))?[#0 +\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]"
)
TEMPLATE_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")

EntryKey = tuple[str, str]  # (msgctxt, msgid)


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


def mo_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.mo"


def placeholders(text: str, *, python_format: bool) -> Counter[str]:
    """The multiset of interpolation placeholders a translation must carry over unchanged."""
    found: Counter[str] = Counter(
        "{{ " + match.group(1) + " }}" for match in TEMPLATE_PLACEHOLDER.finditer(text)
    )
    if python_format:
        found.update(
            match.group(0) for match in PERCENT_PLACEHOLDER.finditer(text) if match.group(0) != "%%"
        )
    return found


def key_of(entry: polib.POEntry | polib.MOEntry) -> EntryKey:
    return (entry.msgctxt or "", entry.msgid)


def label(key: EntryKey) -> str:
    msgctxt, msgid = key
    return f"{msgctxt!r} | {msgid!r}" if msgctxt else repr(msgid)


def translations_of(
    catalog: polib.POFile | polib.MOFile,
) -> dict[EntryKey, tuple[str, ...]]:
    """Every translated message of a catalog (header excluded), plural forms in order."""
    result: dict[EntryKey, tuple[str, ...]] = {}
    for entry in catalog:
        if entry.obsolete or entry.msgid == "":
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
        else:
            forms = (entry.msgstr,)
        result[key_of(entry)] = forms
    return result


def active_entries(catalog: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalog if not entry.obsolete and entry.msgid != ""]


def is_translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        forms = list(entry.msgstr_plural.values())
        return len(forms) >= 2 and all(form.strip() for form in forms)
    return bool(entry.msgstr.strip())


@pytest.fixture(params=sorted(PLURAL_FORMS))
def locale(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def catalog(locale: str) -> polib.POFile:
    path = po_path(locale)
    assert path.is_file(), f"{path} is missing; {REGENERATE_HINT}."
    return polib.pofile(str(path))


class TestCatalogs:
    def test_header_declares_language_plurals_and_utf8(
        self, locale: str, catalog: polib.POFile
    ) -> None:
        assert catalog.metadata.get("Language") == locale
        assert catalog.metadata.get("Plural-Forms") == PLURAL_FORMS[locale]
        assert catalog.metadata.get("Content-Type") == "text/plain; charset=UTF-8"
        assert not catalog.metadata_is_fuzzy, "the header is still marked fuzzy"

    def test_every_message_is_translated_and_none_is_fuzzy(self, catalog: polib.POFile) -> None:
        entries = active_entries(catalog)
        assert entries, "the catalog holds no messages"
        untranslated = [entry.msgid for entry in entries if not is_translated(entry)]
        fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
        assert (untranslated, fuzzy) == ([], []), (
            f"untranslated messages: {untranslated}\n"
            f"fuzzy messages (check the translation, then drop the flag): {fuzzy}"
        )

    def test_translations_keep_the_placeholders(self, catalog: polib.POFile) -> None:
        mismatches: list[str] = []
        for entry in active_entries(catalog):
            python_format = "python-format" in entry.flags
            if entry.msgid_plural:
                pairs = [
                    (entry.msgid if index == 0 else entry.msgid_plural, form)
                    for index, form in sorted(entry.msgstr_plural.items())
                ]
            else:
                pairs = [(entry.msgid, entry.msgstr)]
            for source, translated in pairs:
                expected = placeholders(source, python_format=python_format)
                actual = placeholders(translated, python_format=python_format)
                if expected != actual:
                    mismatches.append(
                        f"{source!r} -> {translated!r}: "
                        f"expected {sorted(expected.elements())}, got {sorted(actual.elements())}"
                    )
        assert not mismatches, "placeholders differ:\n" + "\n".join(mismatches)

    def test_compiled_catalog_matches_the_source_catalog(
        self, locale: str, catalog: polib.POFile
    ) -> None:
        path = mo_path(locale)
        assert path.is_file(), f"{path} is missing; run `django-admin compilemessages`."
        compiled = polib.mofile(str(path))
        source = translations_of(catalog)
        binary = translations_of(compiled)
        stale = sorted(
            label(key)
            for key in source.keys() | binary.keys()
            if source.get(key) != binary.get(key)
        )
        assert not stale, (
            f"{path.name} is out of date with {po_path(locale).name} for: {stale}. "
            "Run `django-admin compilemessages` in src/academy."
        )
        assert compiled.metadata.get("Plural-Forms") == catalog.metadata.get("Plural-Forms")


def msgids(path: Path) -> set[EntryKey]:
    return {key_of(entry) for entry in active_entries(polib.pofile(str(path)))}


def test_every_language_translates_the_same_messages() -> None:
    reference, *others = sorted(PLURAL_FORMS)
    expected = msgids(po_path(reference))
    for locale in others:
        found = msgids(po_path(locale))
        assert found == expected, (
            f"{locale} and {reference} catalogs hold different messages; {REGENERATE_HINT}.\n"
            f"Only in {reference}: {sorted(label(key) for key in expected - found)}\n"
            f"Only in {locale}: {sorted(label(key) for key in found - expected)}"
        )


def test_catalogs_are_up_to_date_with_the_source(tmp_path: Path) -> None:
    """makemessages, run on a copy of the package, finds exactly the committed messages."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed, so makemessages cannot run here")
    committed_po = po_path("es")
    committed_text = committed_po.read_bytes()
    copy_src = tmp_path / "src"
    copy_package = copy_src / "academy"
    shutil.copytree(
        PACKAGE_DIR, copy_package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "var")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "academy.config.settings.test",
        # The copy's settings compute LOCALE_PATHS from their own location: the copy's locale.
        "PYTHONPATH": str(copy_src),
        "ACADEMY_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-P",  # keep the working directory (the package itself) off sys.path
            "-m",
            "django",
            "makemessages",
            "-l",
            "es",
            "--no-obsolete",
            "--no-location",
            *MAKEMESSAGES_IGNORES,
        ],
        cwd=copy_package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    assert committed_po.read_bytes() == committed_text, "makemessages touched the real catalog"

    regenerated = msgids(copy_package / "locale" / "es" / "LC_MESSAGES" / "django.po")
    committed = msgids(committed_po)
    missing = sorted(label(key) for key in regenerated - committed)
    extra = sorted(label(key) for key in committed - regenerated)
    assert (missing, extra) == ([], []), (
        "The translation catalogs are out of date with the source; "
        f"{REGENERATE_HINT}.\n"
        f"Missing from the catalogs (new or changed in the code): {missing}\n"
        f"Extra in the catalogs (no longer in the code): {extra}"
    )


SIGN_IN = {"es": "Iniciar sesión", "pt-br": "Entrar"}


@pytest.mark.parametrize(("language", "expected"), sorted(SIGN_IN.items()))
def test_gettext_serves_the_translation(language: str, expected: str) -> None:
    with translation.override(language):
        translated = translation.gettext("Sign in")
    assert translated != "Sign in"
    assert translated == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), sorted(SIGN_IN.items()))
def test_sign_in_page_speaks_the_visitors_language(language: str, expected: str) -> None:
    response = Client(headers={"Accept-Language": language}).get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{expected}</h1>" in html
    assert "<h1>Sign in</h1>" not in html
