using Npgsql;

namespace Lockout.Writer.Services;

/// <summary>Tells a database error about the data (retrying cannot help) from one about the database (it can).</summary>
public static class DatabaseErrors
{
    /// <summary>
    /// True when the database refused the data itself: SQLSTATE class 22 (data exception: a value too long, an invalid
    /// byte such as NUL) or 23 (integrity constraint). Anything else — a lost connection, a timeout, a restart, even a
    /// missing grant — is about the database, and the batch is retried until it is fixed, never dead-lettered.
    /// </summary>
    public static bool RefusesTheData(Exception exception) =>
        exception is PostgresException { SqlState: [ '2', '2' or '3', ..] };
}
