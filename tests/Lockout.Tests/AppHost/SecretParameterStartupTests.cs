using Aspire.Hosting.Testing;

namespace Lockout.Tests.AppHost;

/// <summary>The real AppHost, given an admin key too short to trust, says why and stops before it builds anything.</summary>
public sealed class SecretParameterStartupTests
{
    [Fact]
    public async Task The_apphost_refuses_to_start_with_an_admin_key_under_32_characters_and_says_why()
    {
        // The AppHost writes its reason to standard error, as a developer running it sees it.
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(TextWriter.Synchronized(error));
        Exception? exception;
        try
        {
            exception = await Record.ExceptionAsync(async () =>
            {
                await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Lockout_AppHost>(
                    ["--Infrastructure:Mode=local", "--Parameters:admin-api-key=too-short"]);
            });
        }
        finally
        {
            Console.SetError(previous);
        }

        // The testing builder reports an entry point that returned without building.
        Assert.IsType<InvalidOperationException>(exception);
        Assert.Contains(
            "Parameters:admin-api-key is 9 characters long but must be at least 32, so that it cannot be guessed (leave it unset to have one generated).",
            error.ToString(),
            StringComparison.Ordinal);
    }
}
