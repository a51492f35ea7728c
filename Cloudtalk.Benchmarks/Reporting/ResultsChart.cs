using System.Globalization;
using System.Net;
using System.Text;
using Cloudtalk.Benchmarks.Load;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>One run's throughput as an SVG bar chart, each scenario against the ceiling (for docs/benchmarks.md).</summary>
public static class ResultsChart
{
    private const int LabelWidth = 330;
    private const int BarWidth = 420;
    private const int RowHeight = 26;

    public static string Render(WrkResult ceiling, IReadOnlyList<WrkResult> scenarios)
    {
        var rows = scenarios.Prepend(ceiling).ToList();
        var height = RowHeight * rows.Count + 40;
        var invariant = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.AppendLine(invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{LabelWidth + BarWidth + 150}" height="{height}" font-family="sans-serif" font-size="13">""");
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        svg.AppendLine(invariant, $"""<text x="8" y="18" font-weight="bold">Requests per second (share of the ceiling: a constant-answer Kestrel endpoint)</text>""");
        for (var i = 0; i < rows.Count; i++)
        {
            var result = rows[i];
            var share = result.RequestsPerSecond / ceiling.RequestsPerSecond;
            var y = 30 + i * RowHeight;
            var width = Math.Max(1, (int)Math.Round(Math.Clamp(share, 0, 1) * BarWidth));
            var colour = i == 0 ? "#9aa0a6" : "#3b7dd8";
            svg.AppendLine(invariant, $"""<text x="{LabelWidth - 8}" y="{y + 16}" text-anchor="end">{WebUtility.HtmlEncode(result.Scenario)}</text>""");
            svg.AppendLine(invariant, $"""<rect x="{LabelWidth}" y="{y + 4}" width="{width}" height="{RowHeight - 8}" fill="{colour}"/>""");
            svg.AppendLine(invariant, $"""<text x="{LabelWidth + width + 6}" y="{y + 16}">{result.RequestsPerSecond:F0}/s ({share:P0})</text>""");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
