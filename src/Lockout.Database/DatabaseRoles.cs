namespace Lockout.Database;

/// <summary>
/// The PostgreSQL roles Lockout runs as, each allowed only its own job (grants: migration 0004). Unquoted in SQL, so
/// lower case here (PostgreSQL folds unquoted names to lower case; Oracle to upper).
/// </summary>
public static class DatabaseRoles
{
    /// <summary>Owns the schema and runs the migrations; no service connects as it.</summary>
    public const string Owner = "lockout_owner";

    /// <summary>Lockout.Writer: records events and applies lock decisions.</summary>
    public const string Writer = "lockout_writer";

    /// <summary>Lockout.Api: reads users and the audit log, creates users.</summary>
    public const string Api = "lockout_api";

    public static IReadOnlyList<string> All { get; } = [Owner, Writer, Api];
}
