using System.Text;
using System.Text.Json;

namespace Lockout.Benchmarks.Load;

/// <summary>One <c>POST /login</c>, already encoded, and the account it is for (an index into its account set).</summary>
internal readonly record struct LoginRequest(ReadOnlyMemory<byte> Bytes, int Account)
{
    /// <summary>Encodes the request once, so sending it costs the generator no formatting or allocation.</summary>
    /// <param name="forwardedFor">
    /// The client address to claim in <c>X-Forwarded-For</c> (Lockout believes it from loopback in the benchmark, so one
    /// generator can act as many sources); null: none, the source is the generator's own loopback address.
    /// </param>
    public static byte[] Encode(string username, string password, string? forwardedFor = null) => Frame(EncodeBody(username, password), forwardedFor);

    /// <summary>The whole request for a JSON body.</summary>
    public static byte[] Frame(byte[] body, string? forwardedFor = null)
    {
        var forwarded = forwardedFor is null ? "" : $"X-Forwarded-For: {forwardedFor}\r\n";
        var head = Encoding.ASCII.GetBytes(
            $"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{forwarded}Content-Length: {body.Length}\r\n\r\n");
        return [.. head, .. body];
    }

    /// <summary>The JSON body alone: <c>{"username":…,"password":…}</c>.</summary>
    public static byte[] EncodeBody(string username, string password) =>
        JsonSerializer.SerializeToUtf8Bytes(new Credentials(username, password), CredentialsJson.Options);

    private sealed record Credentials(string Username, string Password);

    private static class CredentialsJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}
