using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Lockout.Events;

/// <summary>
/// One account, one key: logins, Redis keys, Kafka keys and database look-ups all use the normalized name.
/// </summary>
/// <remarks>
/// Unicode NFC, then upper-invariant, as ASP.NET Core Identity's default lookup normalizer, so existing Identity
/// tables match. A name must be text a person could type: well-formed UTF-16, no control characters, no
/// noncharacters or unassigned code points (their normalization is not stable, and .NET refuses some of them),
/// and no longer than <see cref="MaxLength"/> once normalized (normalization can lengthen a name).
/// </remarks>
public static class UsernameNormalizer
{
    /// <summary>The longest normalized username, in UTF-16 code units (<c>USERS.NORMALIZED_USERNAME</c>).</summary>
    public const int MaxLength = 256;

    /// <summary>Normalizes a name already known to be valid.</summary>
    /// <exception cref="ArgumentException">The name is not a valid username.</exception>
    public static string Normalize(string username) =>
        TryNormalize(username, out var normalized, out var problem) ? normalized : throw new ArgumentException(problem, nameof(username));

    /// <summary>Normalizes a name; false, with the reason, when it is not a valid username.</summary>
    public static bool TryNormalize(string username, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(username);
        normalized = null;
        problem = FindProblem(username);
        if (problem is not null)
        {
            return false;
        }

        try
        {
            normalized = username.Normalize(NormalizationForm.FormC).ToUpperInvariant();
        }
        catch (ArgumentException)
        {
            problem = "The username is not valid Unicode text.";
            return false;
        }

        if (normalized.Length > MaxLength)
        {
            problem = $"The username is longer than {MaxLength} characters once normalized.";
            normalized = null;
            return false;
        }

        return true;
    }

    /// <summary>True when <paramref name="name"/> is a valid username in its normalized form (as events carry it).</summary>
    public static bool IsNormalized(string name) => TryNormalize(name, out var normalized, out _) && normalized == name;

    private static string? FindProblem(string username)
    {
        if (username.Length == 0)
        {
            return "The username is empty.";
        }

        var text = username.AsSpan();
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out var rune, out var consumed) != OperationStatus.Done)
            {
                return "The username is not well-formed UTF-16 (it holds an unpaired surrogate).";
            }

            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                    return "The username must not contain control characters.";
                case UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return "The username must not contain line or paragraph separators.";
                case UnicodeCategory.OtherNotAssigned:
                    return "The username must not contain noncharacters or unassigned code points.";
            }

            text = text[consumed..];
        }

        return null;
    }
}
