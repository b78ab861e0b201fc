// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-built check plans for the backends' tests: one service of every
// shape family (every formats::ServiceType, secrets by file and by
// environment, repeated options, joined options, fixed positionals) and a
// host whose values are hostile, which PlanHost() never produces from a
// validated snapshot: the renderer's own escaping is tested on them.
#ifndef AUTOMON_BACKENDS_TESTING_SAMPLE_PLANS_H_
#define AUTOMON_BACKENDS_TESTING_SAMPLE_PLANS_H_

#include <string>
#include <vector>

#include "backends/plan.h"

namespace automon::backends::testing {

// web01.example.org (192.0.2.10, generation 7): every service type.
HostPlan EveryTypeHost();

// A host whose values try to break out of strings, smuggle macros in and
// run shell text: each value must reach the program unchanged, as one word.
HostPlan HostileValuesHost(const std::string& host, const std::string& address);

// One plan of each shape used above (values empty), for the shared file.
std::vector<CheckPlan> SampleShapes();

}  // namespace automon::backends::testing

#endif  // AUTOMON_BACKENDS_TESTING_SAMPLE_PLANS_H_
