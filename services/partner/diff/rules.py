"""The rules this engine checks: oasdiff's rule ids (checker/rules.go) and its default
levels, ERR as breaking, WARN as warning, INFO as info.

Weft is stricter than oasdiff's defaults on security (oasdiff reports every security
change as INFO and lets its users raise them with `--severity-levels`): removing a
security requirement leaves the clients that authenticate with it unable to call, and a
scope added to a requirement refuses the tokens issued without it, so both are breaking;
an added requirement is a warning.
"""

from __future__ import annotations

from services.partner.diff.models import Level

_TABLE: dict[Level, str] = {
    Level.BREAKING: """
    api-path-removed-without-deprecation api-removed-without-deprecation webhook-removed
    new-required-request-parameter new-request-path-parameter
    request-parameter-became-required request-parameter-type-changed
    request-parameter-list-of-types-narrowed request-parameter-became-enum
    request-parameter-enum-value-removed request-parameter-became-not-nullable
    request-parameter-default-value-changed request-parameter-default-value-added
    request-parameter-default-value-removed request-parameter-max-length-decreased
    request-parameter-min-length-increased request-parameter-max-decreased
    request-parameter-min-increased request-parameter-exclusive-max-decreased
    request-parameter-exclusive-min-increased request-parameter-max-items-decreased
    request-parameter-min-items-increased request-parameter-pattern-added
    request-parameter-property-enum-value-removed request-parameter-property-type-specialized
    request-body-added-required request-body-removed request-body-became-required
    request-body-media-type-removed request-body-media-type-schema-added
    request-body-type-changed request-body-list-of-types-narrowed request-body-became-enum
    request-body-enum-value-removed request-body-became-not-nullable request-body-const-added
    request-body-const-changed request-body-max-length-decreased
    request-body-min-length-increased request-body-max-decreased request-body-min-increased
    request-body-min-items-increased request-body-one-of-removed request-body-any-of-removed
    request-body-all-of-added
    new-required-request-property request-property-became-required
    request-property-type-changed request-property-list-of-types-narrowed
    request-property-became-enum request-property-enum-value-removed
    request-property-became-not-nullable request-property-const-added
    request-property-const-changed request-property-max-length-decreased
    request-property-min-length-increased request-property-max-decreased
    request-property-min-increased request-property-exclusive-max-decreased
    request-property-exclusive-min-increased request-property-min-items-increased
    request-property-pattern-added request-property-one-of-removed
    request-property-any-of-removed request-property-all-of-added
    response-success-status-removed response-media-type-removed
    response-required-property-removed response-property-became-optional
    response-body-type-changed response-body-type-generalized
    response-body-list-of-types-widened response-body-became-nullable
    response-body-one-of-added response-body-const-removed
    response-property-type-changed response-property-type-generalized
    response-property-list-of-types-widened response-property-became-nullable
    response-property-const-removed response-property-const-changed
    response-property-max-length-increased response-property-max-length-unset
    response-property-min-length-decreased response-property-max-increased
    response-property-min-decreased response-property-min-items-decreased
    response-property-min-items-unset response-property-one-of-added
    required-response-header-removed response-header-became-optional
    response-header-type-changed response-header-became-nullable
    api-security-removed api-security-scope-added
    api-global-security-removed api-global-security-scope-added
    """,
    Level.WARNING: """
    request-parameter-removed request-parameter-pattern-changed
    request-parameter-max-length-set request-parameter-max-set request-parameter-min-set
    request-parameter-min-items-set request-parameter-property-type-changed
    request-property-removed request-property-pattern-changed request-property-max-length-set
    request-property-max-set request-property-min-set request-property-min-items-set
    request-property-all-of-removed request-body-all-of-removed
    response-optional-property-removed response-property-enum-value-added
    response-body-media-type-schema-removed optional-response-header-removed
    api-security-added api-global-security-added
    """,
    Level.INFO: """
    endpoint-added endpoint-deprecated endpoint-reactivated
    api-path-removed-with-deprecation api-removed-with-deprecation webhook-added
    api-operation-id-removed api-operation-id-added api-tag-removed api-tag-added
    api-schema-removed api-security-component-added api-security-component-removed
    new-optional-request-parameter request-parameter-removed-with-deprecation
    request-parameter-became-optional request-parameter-deprecated
    request-parameter-reactivated request-parameter-type-generalized
    request-parameter-list-of-types-widened request-parameter-enum-value-added
    request-parameter-became-nullable request-parameter-max-length-increased
    request-parameter-min-length-decreased request-parameter-max-increased
    request-parameter-min-decreased request-parameter-pattern-removed
    request-parameter-property-enum-value-added
    request-body-added-optional request-body-became-optional request-body-media-type-added
    request-body-media-type-schema-removed request-body-type-generalized
    request-body-became-nullable request-body-default-value-changed
    request-body-one-of-added request-body-any-of-added
    new-optional-request-property request-property-became-optional
    request-property-type-generalized request-property-list-of-types-widened
    request-property-enum-value-added request-property-became-nullable
    request-property-default-value-added request-property-default-value-removed
    request-property-default-value-changed request-property-const-removed
    request-property-max-length-increased request-property-min-length-decreased
    request-property-max-increased request-property-min-decreased
    request-property-pattern-removed request-property-one-of-added
    request-property-any-of-added request-property-deprecated
    response-success-status-added response-non-success-status-removed
    response-non-success-status-added response-media-type-added
    response-body-media-type-schema-added response-required-property-added
    response-optional-property-added response-property-became-required
    response-property-became-not-nullable response-property-type-specialized
    response-property-list-of-types-narrowed response-property-enum-value-removed
    response-property-default-value-changed response-property-pattern-added
    response-property-pattern-changed response-property-pattern-removed
    response-property-one-of-removed response-property-any-of-added
    response-property-deprecated response-header-added
    api-security-scope-removed api-global-security-scope-removed
    """,
}

RULES: dict[str, Level] = {
    rule_id: level for level, block in _TABLE.items() for rule_id in block.split()
}


def describe(rule_id: str) -> str:
    """oasdiff's ids read as sentences: `request-property-became-required`."""
    return rule_id.replace("-", " ")
