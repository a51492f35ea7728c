using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cloudtalk.Tests.Deployment;

/// <summary>
/// Finds secrets written in clear in an Aspire manifest: every string in it (values, args, connection strings)
/// is checked, and a password-looking value must be a manifest placeholder (<c>{resource.value}</c>) or a shell
/// variable (<c>$NAME</c>), never a literal.
/// </summary>
internal static partial class ManifestSecrets
{
    public static IReadOnlyList<string> FindClearTextSecrets(JsonNode root)
    {
        var findings = new List<string>();
        Walk(root, "$", key: null, findings);
        return findings;
    }

    /// <summary>Every string in the manifest with its JSON path.</summary>
    public static IEnumerable<(string Path, string Value)> Strings(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    foreach (var found in Strings(child, $"{path}.{name}"))
                    {
                        yield return found;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var found in Strings(array[i], $"{path}[{i}]"))
                    {
                        yield return found;
                    }
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                yield return (path, text);
                break;
        }
    }

    private static void Walk(JsonNode? node, string path, string? key, List<string> findings)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    Walk(child, $"{path}.{name}", name, findings);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], $"{path}[{i}]", key, findings);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                Check(path, key, text, findings);
                break;
        }
    }

    private static void Check(string path, string? key, string text, List<string> findings)
    {
        if (key is not null && SecretName().IsMatch(key) && !IsOnlyPlaceholders(text) && !IsShellVariable(text))
        {
            findings.Add($"{path}: the value of '{key}' is a literal: {text}");
        }

        foreach (Match assignment in SecretAssignment().Matches(text))
        {
            var secret = assignment.Groups["value"].Value;
            if (!secret.StartsWith('{') && !IsShellVariable(secret))
            {
                findings.Add($"{path}: '{assignment.Value}' sets a secret to a literal");
            }
        }

        foreach (Match uri in UriUserInfo().Matches(text))
        {
            var userInfo = Placeholder().Replace(uri.Groups["userinfo"].Value, string.Empty);
            if (userInfo is not ("" or ":"))
            {
                findings.Add($"{path}: the URI credentials '{uri.Groups["userinfo"].Value}' are literals");
            }
        }
    }

    private static bool IsOnlyPlaceholders(string text) => text.Length > 0 && Placeholder().Replace(text, string.Empty).Length == 0;

    private static bool IsShellVariable(string text) => ShellVariable().IsMatch(text);

    [GeneratedRegex(@"\{[A-Za-z0-9_.:-]+\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")]
    private static partial Regex ShellVariable();

    [GeneratedRegex(@"(password|passwd|pwd|pass|secret|token|api_?key|access_?key|client_?secret)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    /// <summary><c>Password=x</c>, <c>password: x</c>, <c>--requirepass x</c>, <c>--password=x</c>.</summary>
    [GeneratedRegex(@"(?:\b(?:password|passwd|pwd)\s*[=:]\s*|--(?:requirepass|password|pass)[\s=]+)(?<value>[^\s;,&""']+)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignment();

    /// <summary>The user information of a URI: <c>scheme://user:password@host</c>.</summary>
    [GeneratedRegex(@"://(?<userinfo>[^/@\s]*)@")]
    private static partial Regex UriUserInfo();
}
