using System.Reflection;

namespace Lockout.Api.Services;

/// <summary>
/// The Lua scripts embedded from <c>Services/Scripts</c>, each with the shared prelude (and Smart mode's helpers) in
/// front. StackExchange.Redis sends a script's text once per server and EVALSHA after it, reloading it on NOSCRIPT.
/// </summary>
public static class LuaScripts
{
    public static NamedScript Load(string name, bool smart = false) =>
        new(name, string.Join('\n', new[] { "prelude", smart ? "smart" : null, name }.OfType<string>().Select(Read)));

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Lockout.Api.Services.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>A script's text and the name its spans carry (<see cref="Redis.RedisScripts"/>).</summary>
public sealed record NamedScript(string Name, string Text)
{
    /// <summary>The span name, after OpenTelemetry's database conventions: the operation, then what it runs.</summary>
    public string SpanName { get; } = $"EVALSHA {Name}";
}
