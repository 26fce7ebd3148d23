using Lockout.AppHost.Secrets;
using Microsoft.Extensions.Configuration;

namespace Lockout.UnitTests.AppHost;

public sealed class SecretParameterCheckTests
{
    private static readonly string[] Checked = ["admin-api-key", "event-signing-key"];

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("only-31-characters-long-0123456")]
    public void An_admin_key_under_32_characters_is_refused_in_one_sentence_that_says_why(string key)
    {
        var problem = SecretParameterCheck.Problem(Configuration(("Parameters:admin-api-key", key)), Checked);

        Assert.Equal(
            $"Parameters:admin-api-key is {key.Length} characters long but must be at least 32, so that it cannot be guessed (leave it unset to have one generated).",
            problem);
    }

    [Fact]
    public void Unset_parameters_are_generated_and_pass_and_so_does_a_key_of_32_characters()
    {
        Assert.Null(SecretParameterCheck.Problem(Configuration(), Checked));
        Assert.Null(SecretParameterCheck.Problem(Configuration(("Parameters:admin-api-key", new string('k', 32))), Checked));
    }

    [Fact]
    public void A_short_operator_key_or_signing_key_is_refused_too()
    {
        var operators = Configuration(("Parameters:admin-operator-carol", "short"), ("Parameters:admin-operator-dave", new string('d', 40)));
        Assert.Equal(["carol", "dave"], SecretParameterCheck.Operators(operators));
        Assert.StartsWith("Parameters:admin-operator-carol is 5 characters long", SecretParameterCheck.Problem(operators, Checked), StringComparison.Ordinal);
        Assert.StartsWith("Parameters:event-signing-key is 3", SecretParameterCheck.Problem(Configuration(("Parameters:event-signing-key", "abc")), Checked), StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
