using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Lockout.Api.Services;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) only when the server does not know it yet:
/// after a start, a Redis restart or a SCRIPT FLUSH.
/// </summary>
/// <remarks>
/// StackExchange.Redis sends the full text with every EVAL; on the login path that is kilobytes per call and a
/// SHA1 of them on the server, for every request.
/// </remarks>
public sealed class RedisScript(string text)
{
#pragma warning disable CA5350 // SHA1 names the script, as Redis requires; it protects nothing.
    private readonly byte[] _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350

    public async Task<RedisResult> EvaluateAsync(IDatabase database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL runs the script and caches it on the server, so the next call's EVALSHA finds it.
            return await database.ScriptEvaluateAsync(text, keys, values);
        }
    }
}
