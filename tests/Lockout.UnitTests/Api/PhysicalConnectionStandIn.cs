namespace StackExchange.Redis;

/// <summary>
/// Stands in for the client's internal type of the same name, so that an exception thrown here has the stack trace of
/// the one StackExchange.Redis let out while dropping a dead socket (the socket pipe's, thrown under ReadFromPipe).
/// </summary>
internal static class PhysicalConnection
{
    public static void ReadFromPipe() => throw new InvalidOperationException("Reading is not allowed after reader was completed.");
}
