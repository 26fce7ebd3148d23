using System.Text.RegularExpressions;
using Lockout.AppHost.Infrastructure;
using Lockout.Api.Services;

namespace Lockout.UnitTests.Security;

public sealed partial class RedisUsersTests
{
    [Fact]
    public void The_apis_redis_user_may_run_every_command_the_scripts_call()
    {
        var assembly = typeof(LuaScripts).Assembly;
        var called = assembly.GetManifestResourceNames()
            .Where(name => name.EndsWith(".lua", StringComparison.Ordinal))
            .SelectMany(name =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                return RedisCall().Matches(reader.ReadToEnd()).Select(match => match.Groups[1].Value.ToLowerInvariant());
            })
            .ToHashSet();

        Assert.NotEmpty(called);
        Assert.All(called, command => Assert.Contains("+" + command, RedisUsers.ApiRules));
    }

    [Fact]
    public void No_service_user_may_flush_configure_list_keys_or_run_everything()
    {
        string[] forbidden = ["+@all", "+@dangerous", "+@admin", "+flushall", "+flushdb", "+config", "+keys", "+debug", "+shutdown", "+acl", "~*", "&*", "allcommands", "allkeys"];

        Assert.Empty(RedisUsers.ApiRules.Intersect(forbidden));
        Assert.Empty(RedisUsers.RelayRules.Intersect(forbidden));
        Assert.Equal("-@all", RedisUsers.ApiRules.First(rule => rule.StartsWith('+') || rule.StartsWith('-')));
        Assert.Equal("-@all", RedisUsers.RelayRules.First(rule => rule.StartsWith('+') || rule.StartsWith('-')));
    }

    [Fact]
    public void The_relays_redis_user_may_append_to_parked_streams_only()
    {
        Assert.DoesNotContain("+xadd", RedisUsers.RelayRules);
        Assert.Contains(RedisUsers.RelayRules, rule => rule.StartsWith("(~lockout:{b?}:outbox:parked", StringComparison.Ordinal) && rule.EndsWith(" +xadd)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_relays_redis_user_may_not_run_scripts()
    {
        Assert.DoesNotContain(RedisUsers.RelayRules, rule => rule.StartsWith("+eval", StringComparison.Ordinal) || rule.StartsWith("+script", StringComparison.Ordinal) || rule.StartsWith("+function", StringComparison.Ordinal));
    }

    [Fact]
    public void A_users_password_reaches_the_command_line_as_a_sha256_hash_only()
    {
        var arguments = RedisUsers.UserArguments(RedisUsers.Api, "correct-horse-battery-staple", RedisUsers.ApiRules).ToList();

        Assert.DoesNotContain(arguments, argument => argument.Contains("correct-horse", StringComparison.Ordinal));
        Assert.Contains("#" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("correct-horse-battery-staple"u8)), arguments);
    }

    [GeneratedRegex(@"redis\.p?call\(\s*'([A-Za-z]+)'")]
    private static partial Regex RedisCall();
}
