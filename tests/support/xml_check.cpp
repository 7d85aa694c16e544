#include "support/xml_check.h"

#include "support/run.h"

namespace tcpflow::test {

namespace {

// Parses argv[1] with expat (no DTD loading, no external entities) and checks the root element.
// Exit 0 = well-formed; otherwise one line on stdout says why.
constexpr const char* kScript = R"PY(
import sys, xml.parsers.expat
path, want = sys.argv[1], sys.argv[2]
p = xml.parsers.expat.ParserCreate()
roots = []
def start(name, attrs):
    if not roots:
        roots.append(name)
p.StartElementHandler = start
try:
    with open(path, 'rb') as f:
        p.ParseFile(f)
except OSError as e:
    print('cannot read: %s' % e)
    sys.exit(1)
except xml.parsers.expat.ExpatError as e:
    print('not well-formed XML: %s' % e)
    sys.exit(1)
if want and roots[:1] != [want]:
    print('root element is %r, not %r' % (roots[0] if roots else None, want))
    sys.exit(1)
)PY";

}  // namespace

std::string xml_problem(const std::string& path, const std::string& root) {
    const auto r = run_program({"/usr/bin/env", "python3", "-c", kScript, path, root});
    if (r.exit_code == 0) return "";
    if (r.exit_code == 127) return "cannot run python3 to check " + path;
    return path + ": " + r.out + r.err;
}

}  // namespace tcpflow::test
