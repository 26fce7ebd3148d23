using System.Security.Cryptography;
using System.Text;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// The Redis users of Lockout's services (Redis ACL, 6.0+). Each may run only the commands its code sends, on its own
/// keys: no user of a service may FLUSHALL, CONFIG, KEYS, DEBUG, SHUTDOWN or run anything on another key. The default
/// user has a password of its own, for the AppHost's health check and an operator.
/// </summary>
/// <remarks>
/// Allow-lists rather than <c>+@all -@dangerous</c>: a category grows with each Redis release, a list does not.
/// Redis checks every command a script calls against the rules of the user who runs the script, so the scripts'
/// commands are listed too (a unit test reads them from Lockout.Api's scripts).
/// </remarks>
public static class RedisUsers
{
    public const string Api = "lockout-api";
    public const string Relay = "lockout-relay";

    /// <summary>
    /// What StackExchange.Redis needs while it connects and to check a connection (INFO tells it the server's role and
    /// version: read-only, no secrets), and what the tests' per-class databases need (SELECT). The services tell it not
    /// to send its other probes (CONFIG GET). CLUSTER NODES and SLOTS give a client a Redis Cluster's slot map, and the
    /// Redis health check asks each cluster node for CLUSTER INFO (its state: read-only).
    /// </summary>
    public static IReadOnlyList<string> ConnectionCommands { get; } =
        ["ping", "echo", "info", "select", "client|setname", "client|id", "cluster|nodes", "cluster|slots", "cluster|shards", "cluster|info"];

    /// <summary>The commands Lockout.Api's Lua scripts call.</summary>
    public static IReadOnlyList<string> ScriptCommands { get; } =
    [
        "del", "hdel", "hexists", "hget", "hgetall", "hlen", "hmget", "hset", "persist", "pexpire", "pttl", "publish", "time",
        "xadd", "xlen", "zadd", "zcard", "zrange", "zrangebyscore", "zrem", "zremrangebyscore", "zscore",
    ];

    /// <summary>
    /// The relay's commands (Lockout.Api's <c>LockoutOutbox</c>) on the outbox streams and its heartbeat set: read and
    /// delete outbox entries, its heartbeat in a transaction, and the scripts' wake-ups. Never XADD to an outbox.
    /// </summary>
    public static IReadOnlyList<string> RelayCommands { get; } =
    [
        "xrange", "xdel", "xlen", "multi", "exec", "discard", "time", "zadd", "zremrangebyscore", "zrange",
        "expire", "pexpire", "subscribe", "unsubscribe",
    ];

    /// <summary>
    /// The login path and the admin endpoints: nothing but scripts, on Lockout's keys. A script's commands are checked
    /// against these rules too, keys included.
    /// </summary>
    public static IReadOnlyList<string> ApiRules { get; } =
    [
        "resetkeys", "~lockout:*", "resetchannels", "&lockout:outbox:wake", "-@all",
        "+eval", "+evalsha", "+script|load", "+script|exists",
        .. ConnectionCommands.Select(command => "+" + command),
        .. ScriptCommands.Select(command => "+" + command),
    ];

    /// <summary>
    /// The outbox relay: the outbox streams (<c>lockout:{bN}:outbox</c>), the relays' heartbeat set, the wake-up
    /// channel, and (a selector of its own, Redis 7) XADD to the parked streams alone, so that it cannot append an event
    /// to an outbox. No scripts, no account state. Bucket numbers have one to three digits.
    /// </summary>
    public static IReadOnlyList<string> RelayRules { get; } =
    [
        "resetkeys",
        "~lockout:{b?}:outbox", "~lockout:{b??}:outbox", "~lockout:{b???}:outbox",
        "~lockout:relays",
        "resetchannels", "&lockout:outbox:wake", "-@all",
        .. ConnectionCommands.Select(command => "+" + command),
        .. RelayCommands.Select(command => "+" + command),
        "(~lockout:{b?}:outbox:parked ~lockout:{b??}:outbox:parked ~lockout:{b???}:outbox:parked +xadd)",
    ];

    /// <summary>
    /// <c>redis-server</c> arguments that define a user, with its password as a SHA-256 hash (<c>#…</c>), so that the
    /// command line, which every local user can read, shows no password.
    /// </summary>
    public static IEnumerable<string> UserArguments(string user, string password, IEnumerable<string> rules) =>
        ["--user", user, "reset", "on", "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password))), .. rules];

    /// <summary>The default user, for the AppHost's health check and an operator: everything, behind a password.</summary>
    public static IEnumerable<string> DefaultUserArguments(string password) =>
        UserArguments("default", password, ["~*", "&*", "+@all"]);
}
