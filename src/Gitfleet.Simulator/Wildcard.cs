namespace Gitfleet.Simulator;

/// <summary>Wildcard patterns as Mender uses them in clears_artifact_provides, and as image failure rules take them.</summary>
public static class Wildcard
{
    /// <summary>Wildcard match: <c>*</c> any run of characters, <c>?</c> one character (greedy with backtracking to the last star).</summary>
    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
