"""In a real browser: the Place headline follows the filters, and a change in beds names its
services or says in words that it applies to all of them (issue 15, defects 3 and 6)."""

from __future__ import annotations

import re

from tests.e2e.conftest import ARTIFACTS, choose, open_app, settle


def headline_text(page) -> str:
    """The bold sentence under the Place page's title ('Havering: … short in …')."""
    page.get_by_role("heading", name=re.compile("^Havering")).wait_for()
    sentence = (
        page.locator('[data-testid="stMarkdown"] strong')
        .filter(has_text=re.compile(r"^Havering: "))
        .first
    )
    sentence.wait_for()
    return sentence.inner_text()


def test_the_place_headline_names_the_filtered_service_type(page):
    open_app(page, "/place?place=E09000016&year=2025&service_type=reablement_home")
    text = headline_text(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "place-headline-reablement.png"))
    assert "reablement at home" in text.lower(), text
    assert "social support" not in text.lower(), text


def change_rows(page) -> int:
    """How many changes the builder lists."""
    return page.get_by_role("button", name="Remove", exact=True).count()


def test_more_beds_with_no_service_chosen_cannot_be_added_silently(page):
    open_app(page, "/scenarios?place=E09000016&year=2025")
    page.get_by_role("heading", name=re.compile("^Scenarios")).wait_for()
    choose(page, "Lever", "Caseload or beds (+ or −)", sidebar=False)
    value = page.get_by_role("spinbutton", name="Value")
    value.fill("4")
    value.press("Tab")
    settle(page)
    add = page.get_by_role("button", name="Add change")
    if add.is_enabled():  # a click with no service and no confirmation is refused, not added
        add.click()
        settle(page)
    assert change_rows(page) == 0, "the change was added to every service without a word"
    assert page.get_by_text("No changes yet").count() == 1
    confirm = page.get_by_role(
        "checkbox",
        name=re.compile(
            r"^Apply to all \d+ services at "
            r"Havering: "
        ),
    )
    confirm.wait_for(timeout=10_000)
    label = (
        page.locator('[data-testid="stCheckbox"]')
        .filter(has_text=re.compile("^Apply to all"))
        .first.inner_text()
    )
    assert "Havering reablement" in label, label
    assert not confirm.is_checked()
    assert not add.is_enabled()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenario-apply-to-all.png"), full_page=True)
    # Ticking the box is the confirmation in words that lets it be added.
    page.locator('[data-testid="stCheckbox"]').filter(has_text="Apply to all").first.click()
    settle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "b => b.innerText.trim() === 'Add change' && !b.disabled)"
    )

    page.locator('[data-testid="stMultiSelect"]').filter(
        has_text="Services (all if empty)"
    ).first.click()
    page.get_by_role("option", name="BHR discharge-to-assess nursing beds", exact=True).click()
    page.keyboard.press("Escape")
    settle(page)
    page.get_by_role("button", name="Add change").click()
    settle(page)
    page.get_by_text("4 more beds at BHR discharge-to-assess nursing beds").first.wait_for()
    listed = (
        page.locator('[data-testid="stMarkdown"]')
        .filter(has_text="4 more beds at")
        .first.inner_text()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenario-change-in-words.png"))
    assert "4 more beds at BHR discharge-to-assess nursing beds" in listed, listed
    assert "Dec 2025–Mar 2026" in listed, listed
    assert "caseload +4" not in listed
    assert change_rows(page) == 1
