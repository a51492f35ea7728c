namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Text lengths as the contract and PostgreSQL's varchar(n) count them: in characters (Unicode code
/// points), not UTF-16 units, so an emoji counts once.
/// </summary>
public static class TextLength
{
    public static int Characters(this string text) => text.EnumerateRunes().Count();
}
