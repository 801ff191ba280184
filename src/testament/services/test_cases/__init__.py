"""Test cases: named, tagged, versioned content of one kind, with their data sets. Writing them
(write.py), the surfaces' view and query (read.py), search by name, tags and kind (search.py),
and their tag rows (tags.py).
"""

from testament.services.test_cases.read import TAG, TAG_KEY_WITH_VALUE, TEST_CASES, query_test_cases
from testament.services.test_cases.write import (
    LIVE,
    UNSET,
    DataSetInput,
    TestCaseView,
    content_problems,
    content_sha256,
    create_test_case,
    delete_test_case,
    find_test_case_id,
    get_test_case,
    list_test_cases,
    matches_tag,
    publish_test_case,
    update_test_case,
)

__all__ = [
    "LIVE",
    "TAG",
    "TAG_KEY_WITH_VALUE",
    "TEST_CASES",
    "UNSET",
    "DataSetInput",
    "TestCaseView",
    "content_problems",
    "content_sha256",
    "create_test_case",
    "delete_test_case",
    "find_test_case_id",
    "get_test_case",
    "list_test_cases",
    "matches_tag",
    "publish_test_case",
    "query_test_cases",
    "update_test_case",
]
