namespace Lockout.Api.Redis;

/// <summary>
/// The scripts take the time from Redis (<c>TIME</c>), so API instances whose clocks disagree still decide on one
/// clock. What they add to it: nothing with the system clock; with another <see cref="TimeProvider"/> (a test's fake
/// clock) its distance from the system clock, so the scripts see the time it says.
/// </summary>
public sealed class RedisClock(TimeProvider clock)
{
    public long Shift() =>
        ReferenceEquals(clock, TimeProvider.System) ? 0 : (long)(clock.GetUtcNow() - TimeProvider.System.GetUtcNow()).TotalMilliseconds;
}
