"""How database errors are judged: an outage (waited out), a transaction lost whole (the
batch tried again), or the work's own failure. MySQL's (a shop's database) by number."""

from __future__ import annotations

import pymysql
import pytest
import sqlalchemy as sa

from syncbeat.catalog.prestashop.check import ShopUnreachable
from syncbeat.store.db import is_outage, loses_transaction


def _wrapped(exc: Exception) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("SELECT 1", {}, exc)


@pytest.mark.parametrize(("code", "outage"), [
    (2003, True), (2006, True), (2013, True), (2014, True), (1053, True), (1040, True),
    (1045, False), (1049, False), (1213, False), (1062, False), (1406, False),
])
def test_mysql_errors_are_outages_by_their_number(code, outage):
    error = pymysql.err.OperationalError(code, "as the server says")
    assert is_outage(_wrapped(error)) is outage
    assert is_outage(error) is outage  # bare, as a driver cursor raises it


@pytest.mark.parametrize(("code", "lost"), [
    (1213, True), (1205, True), (1305, True), (1062, False), (1406, False), (2013, False),
])
def test_a_deadlock_loses_the_whole_transaction_not_one_statement(code, lost):
    error = pymysql.err.OperationalError(code, "as the server says")
    assert loses_transaction(_wrapped(error)) is lost
    assert loses_transaction(error) is lost


def test_postgresql_and_sqlite_errors_never_lose_the_transaction_whole():
    import sqlite3

    assert not loses_transaction(_wrapped(sqlite3.OperationalError("database is locked")))


def test_a_shop_out_of_reach_in_words_is_still_an_outage():
    try:
        try:
            raise _wrapped(pymysql.err.OperationalError(2003, "Can't connect"))
        except sa.exc.DBAPIError as exc:
            raise ShopUnreachable("cannot reach the database server at db:3306") from exc
    except ShopUnreachable as said:
        assert is_outage(said)
    try:
        try:
            raise _wrapped(pymysql.err.OperationalError(1045, "Access denied"))
        except sa.exc.DBAPIError as exc:
            raise ShopUnreachable("the server at db:3306 refused the user") from exc
    except ShopUnreachable as said:
        assert not is_outage(said)
