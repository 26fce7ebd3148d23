using StackExchange.Redis;

namespace Lockout.Api.Redis;

/// <summary>What StackExchange.Redis throws when Redis does not answer.</summary>
public static class RedisUnavailable
{
    /// <summary>
    /// True for a connection failure (<see cref="RedisException"/>), a command timeout (<see cref="RedisTimeoutException"/>,
    /// a <see cref="TimeoutException"/>, not a RedisException), and a <see cref="TaskCanceledException"/> for a command the
    /// library gave up on while its connection was failing (seen with redis-server paused by SIGSTOP). No Redis call in
    /// Lockout takes a cancellation token, so such a cancellation is always the library's, never the caller's.
    /// </summary>
    public static bool Is(Exception exception) =>
        exception is RedisException or RedisTimeoutException or TaskCanceledException || IsReadOnDroppedSocket(exception);

    /// <summary>
    /// A command in flight when StackExchange.Redis drops a dead socket can fail with the socket pipe's own
    /// <see cref="InvalidOperationException"/> ("Reading is not allowed after reader was completed", thrown in its
    /// <c>PhysicalConnection.ReadFromPipe</c>) instead of a <see cref="RedisConnectionException"/>: seen in a test of a
    /// paused Redis, as a 500. Told apart from any other InvalidOperationException by where it was thrown.
    /// </summary>
    private static bool IsReadOnDroppedSocket(Exception exception) =>
        exception is InvalidOperationException { StackTrace: { } trace }
        && trace.Contains("StackExchange.Redis.PhysicalConnection.", StringComparison.Ordinal);
}
