using Microsoft.Extensions.Options;

namespace Lockout.Api.Security;

/// <summary>Stops the API at start when an admin key is too short, or two operators share one, saying which.</summary>
public sealed class AdminApiKeyValidation : IValidateOptions<AdminApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminApiKeyOptions options) =>
        name != AdminApiKeyHandler.SchemeName || options.Problems().ToList() is not { Count: > 0 } problems
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems);
}
